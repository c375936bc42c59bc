/*
 * REST endpoints that live in ES modules not published on Maven Central for 8.x:
 *   GET|HEAD /                      (module rest-root)  -> node/cluster/version info; the Python client's info()/ping()
 *   POST /{index}/_delete_by_query  (module reindex)    -> synchronous scroll + bulk-delete re-implementation
 * Response shapes follow the ES reference. delete_by_query supports: body {query, max_docs}, params
 * conflicts=abort|proceed, refresh, max_docs, scroll_size, routing; wait_for_completion/slices/
 * requests_per_second are accepted and ignored (always synchronous, single slice, unthrottled).
 */
package narrawatch.esnode;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.indices.refresh.RefreshRequest;
import org.elasticsearch.action.bulk.BulkItemResponse;
import org.elasticsearch.action.bulk.BulkRequest;
import org.elasticsearch.action.bulk.BulkResponse;
import org.elasticsearch.action.delete.DeleteRequest;
import org.elasticsearch.action.search.ClearScrollRequest;
import org.elasticsearch.action.search.SearchRequest;
import org.elasticsearch.action.search.SearchResponse;
import org.elasticsearch.action.search.SearchScrollRequest;
import org.elasticsearch.action.support.IndicesOptions;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.ClusterState;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.Strings;
import org.elasticsearch.common.document.DocumentField;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.IndexVersion;
import org.elasticsearch.index.query.AbstractQueryBuilder;
import org.elasticsearch.index.query.QueryBuilder;
import org.elasticsearch.index.query.QueryBuilders;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.search.SearchHit;
import org.elasticsearch.search.builder.SearchSourceBuilder;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.elasticsearch.rest.RestRequest.Method.GET;
import static org.elasticsearch.rest.RestRequest.Method.HEAD;
import static org.elasticsearch.rest.RestRequest.Method.POST;

public class RestExtrasPlugin extends Plugin implements ActionPlugin {

    private final AtomicReference<ClusterService> clusterService = new AtomicReference<>();

    public RestExtrasPlugin() {}

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService.set(services.clusterService());
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(
        Settings settings,
        NamedWriteableRegistry namedWriteableRegistry,
        RestController restController,
        ClusterSettings clusterSettings,
        IndexScopedSettings indexScopedSettings,
        SettingsFilter settingsFilter,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<DiscoveryNodes> nodesInCluster,
        Predicate<NodeFeature> clusterSupportsFeature
    ) {
        return List.of(new MainHandler(clusterService::get), new DeleteByQueryHandler());
    }

    // ---------------------------------------------------------------------------------- GET /
    static final class MainHandler extends BaseRestHandler {
        private final Supplier<ClusterService> cs;

        MainHandler(Supplier<ClusterService> cs) {
            this.cs = cs;
        }

        @Override
        public String getName() {
            return "narrawatch_main_action";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(GET, "/"), new Route(HEAD, "/"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            return channel -> {
                ClusterService service = cs.get();
                ClusterState state = service.state();
                Build build = Build.current();
                XContentBuilder b = channel.newBuilder();
                b.startObject();
                b.field("name", service.getNodeName());
                b.field("cluster_name", state.getClusterName().value());
                b.field("cluster_uuid", state.metadata().clusterUUID());
                b.startObject("version")
                    .field("number", build.qualifiedVersion())
                    .field("build_flavor", build.flavor())
                    .field("build_type", build.type().displayName())
                    .field("build_hash", build.hash())
                    .field("build_date", build.date())
                    .field("build_snapshot", build.isSnapshot())
                    .field("lucene_version", IndexVersion.current().luceneVersion().toString())
                    .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
                    .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
                    .endObject();
                b.field("tagline", "You Know, for Search");
                b.endObject();
                channel.sendResponse(new RestResponse(RestStatus.OK, b));
            };
        }
    }

    // --------------------------------------------------------------- POST /{index}/_delete_by_query
    static final class DeleteByQueryHandler extends BaseRestHandler {
        @Override
        public String getName() {
            return "narrawatch_delete_by_query_action";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(POST, "/{index}/_delete_by_query"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws java.io.IOException {
            final String[] indices = Strings.splitStringByCommaToArray(request.param("index"));
            QueryBuilder query = QueryBuilders.matchAllQuery();
            int maxDocs = request.paramAsInt("max_docs", -1);
            if (request.hasContentOrSourceParam()) {
                try (XContentParser p = request.contentOrSourceParamParser()) {
                    XContentParser.Token t = p.nextToken();
                    if (t != XContentParser.Token.START_OBJECT) throw new IllegalArgumentException("request body must be an object");
                    while ((t = p.nextToken()) != XContentParser.Token.END_OBJECT) {
                        String field = p.currentName();
                        p.nextToken();
                        switch (field) {
                            case "query" -> query = AbstractQueryBuilder.parseTopLevelQuery(p);
                            case "max_docs", "size" -> maxDocs = p.intValue();
                            default -> throw new IllegalArgumentException("[delete_by_query] unsupported body field [" + field + "]");
                        }
                    }
                }
            }
            final boolean proceedOnConflict = "proceed".equals(request.param("conflicts", "abort"));
            final boolean refresh = request.paramAsBoolean("refresh", false);
            final int scrollSize = request.paramAsInt("scroll_size", 1000);
            final String routing = request.param("routing");
            final IndicesOptions opts = IndicesOptions.fromRequest(request, IndicesOptions.strictExpandOpen());
            request.param("wait_for_completion");
            request.param("slices");
            request.param("requests_per_second");
            request.param("timeout");
            request.param("scroll");
            final QueryBuilder q = query;
            final int limit = maxDocs;
            return channel -> client.threadPool().generic().execute(() -> {
                try {
                    channel.sendResponse(run(client, channel.newBuilder(), indices, q, limit, proceedOnConflict, refresh, scrollSize, routing, opts));
                } catch (Exception e) {
                    try {
                        channel.sendResponse(new RestResponse(channel, e));
                    } catch (Exception inner) {
                        inner.addSuppressed(e);
                        throw new RuntimeException(inner);
                    }
                }
            });
        }

        private static RestResponse run(NodeClient client, XContentBuilder b, String[] indices, QueryBuilder query, int maxDocs,
                                        boolean proceed, boolean refresh, int scrollSize, String routing, IndicesOptions opts)
            throws Exception {
            long start = System.nanoTime();
            long total = 0, deleted = 0, batches = 0, conflicts = 0;
            List<BulkItemResponse.Failure> failures = new ArrayList<>();
            TimeValue keepAlive = TimeValue.timeValueMinutes(5);
            SearchRequest sr = new SearchRequest(indices).indicesOptions(opts).scroll(keepAlive).routing(routing)
                .source(new SearchSourceBuilder().query(query).size(maxDocs > 0 ? Math.min(scrollSize, maxDocs) : scrollSize)
                    .fetchSource(false).seqNoAndPrimaryTerm(true).sort("_doc").trackTotalHits(true).storedField("_routing"));
            SearchResponse resp = client.search(sr).actionGet();
            String scrollId = null;
            boolean aborted = false;
            try {
                while (true) {
                    scrollId = resp.getScrollId();
                    if (batches == 0) total = resp.getHits().getTotalHits() == null ? 0 : resp.getHits().getTotalHits().value;
                    SearchHit[] hits = resp.getHits().getHits();
                    BulkRequest bulk = new BulkRequest();
                    for (SearchHit h : hits) {
                        if (maxDocs > 0 && deleted + conflicts + bulk.numberOfActions() >= maxDocs) break;
                        DeleteRequest d = new DeleteRequest(h.getIndex(), h.getId()).setIfSeqNo(h.getSeqNo()).setIfPrimaryTerm(h.getPrimaryTerm());
                        DocumentField r = h.field("_routing");
                        if (r != null && r.getValue() != null) d.routing(r.getValue().toString());
                        bulk.add(d);
                    }
                    resp.decRef();
                    resp = null;
                    if (bulk.numberOfActions() == 0) break;
                    batches++;
                    BulkResponse br = client.bulk(bulk).actionGet();
                    for (BulkItemResponse item : br.getItems()) {
                        if (item.isFailed()) {
                            if (item.getFailure().getStatus() == RestStatus.CONFLICT) {
                                conflicts++;
                                if (!proceed) failures.add(item.getFailure());
                            } else {
                                failures.add(item.getFailure());
                            }
                        } else {
                            deleted++;
                        }
                    }
                    if (!failures.isEmpty()) {
                        aborted = true;
                        break;
                    }
                    if (maxDocs > 0 && deleted + conflicts >= maxDocs) break;
                    resp = client.searchScroll(new SearchScrollRequest(scrollId).scroll(keepAlive)).actionGet();
                }
            } finally {
                if (resp != null) resp.decRef();
                if (scrollId != null) {
                    ClearScrollRequest c = new ClearScrollRequest();
                    c.addScrollId(scrollId);
                    client.clearScroll(c).actionGet();
                }
            }
            if (refresh) client.admin().indices().refresh(new RefreshRequest(indices).indicesOptions(opts)).actionGet();
            b.startObject();
            b.field("took", (System.nanoTime() - start) / 1_000_000);
            b.field("timed_out", false);
            b.field("total", total);
            b.field("deleted", deleted);
            b.field("batches", batches);
            b.field("version_conflicts", conflicts);
            b.field("noops", 0);
            b.startObject("retries").field("bulk", 0).field("search", 0).endObject();
            b.field("throttled_millis", 0);
            b.field("requests_per_second", -1.0);
            b.field("throttled_until_millis", 0);
            b.startArray("failures");
            for (BulkItemResponse.Failure f : failures) {
                b.startObject();
                f.toXContent(b, org.elasticsearch.xcontent.ToXContent.EMPTY_PARAMS);
                b.endObject();
            }
            b.endArray();
            b.endObject();
            RestStatus status = RestStatus.OK;
            if (aborted) {
                status = failures.stream().map(BulkItemResponse.Failure::getStatus).filter(s -> s == RestStatus.CONFLICT).findAny().orElse(
                    failures.get(0).getStatus());
            }
            return new RestResponse(status, b);
        }
    }
}
