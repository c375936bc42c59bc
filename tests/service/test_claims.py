from service.claim_store import ClaimStore
from service.config import Settings


def test_claims_are_upserted_by_id_and_survive_a_restart(tmp_path):
    settings = Settings(data_dir=tmp_path, store="sqlite", config_file=None)
    store = ClaimStore(settings)
    assert store.put([{"id": "tbh-1", "claim": "Vaksin berisi chip", "verdict": "SALAH"},
                      {"id": "tbh-1", "claim": "Vaksin berisi microchip", "verdict": "SALAH"},
                      {"claim": "tanpa id: tidak bisa dicocokkan ulang"}]) == 2
    again = ClaimStore(settings)
    assert again.count() == 1 and again.all()[0]["claim"] == "Vaksin berisi microchip"
