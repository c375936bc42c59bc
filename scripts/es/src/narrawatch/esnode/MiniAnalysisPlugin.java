/*
 * A small stand-in for a few pieces of ES' analysis-common module (not published on Maven Central
 * for 8.x), built from Lucene's lucene-analysis-common which *is* on the ES server classpath.
 * Names and parameters follow the ES reference so mappings stay portable to a real cluster:
 *   token filters: asciifolding (preserve_original), stemmer (language/name), porter_stem, kstem
 *   tokenizers:    whitespace, keyword
 *   analyzers:     indonesian, english, simple, whitespace  (stopwords / stem_exclusion honoured for language analyzers)
 * ('lowercase' and 'stop' token filters and the 'standard' analyzer/tokenizer are built into the ES server.)
 */
package narrawatch.esnode;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.SimpleAnalyzer;
import org.apache.lucene.analysis.core.WhitespaceAnalyzer;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.id.IndonesianAnalyzer;
import org.apache.lucene.analysis.id.IndonesianStemFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

public class MiniAnalysisPlugin extends Plugin implements AnalysisPlugin {

    public MiniAnalysisPlugin() {}

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "asciifolding", (is, env, name, s) -> new AsciiFolding(name, s),
            "stemmer", (is, env, name, s) -> filter(name, s, stemmer(s)),
            "porter_stem", (is, env, name, s) -> filter(name, s, PorterStemFilter::new),
            "kstem", (is, env, name, s) -> filter(name, s, KStemFilter::new)
        );
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of(
            "whitespace", (is, env, name, s) -> tokenizer(is, s, name, WhitespaceTokenizer::new),
            "keyword", (is, env, name, s) -> tokenizer(is, s, name, KeywordTokenizer::new)
        );
    }

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of(
            "indonesian", (is, env, name, s) -> analyzer(name, s, () -> new IndonesianAnalyzer(
                Analysis.parseStopWords(env, s, IndonesianAnalyzer.getDefaultStopSet()),
                Analysis.parseStemExclusion(s, CharArraySet.EMPTY_SET))),
            "english", (is, env, name, s) -> analyzer(name, s, () -> new EnglishAnalyzer(
                Analysis.parseStopWords(env, s, EnglishAnalyzer.getDefaultStopSet()),
                Analysis.parseStemExclusion(s, CharArraySet.EMPTY_SET))),
            "simple", (is, env, name, s) -> analyzer(name, s, SimpleAnalyzer::new),
            "whitespace", (is, env, name, s) -> analyzer(name, s, WhitespaceAnalyzer::new)
        );
    }

    // ---- helpers -------------------------------------------------------------------------------

    static Function<TokenStream, TokenStream> stemmer(Settings s) {
        String lang = s.get("language", s.get("name", "english")).toLowerCase(Locale.ROOT);
        return switch (lang) {
            case "indonesian" -> IndonesianStemFilter::new;
            case "light_indonesian" -> ts -> new IndonesianStemFilter(ts, false);
            case "english", "porter" -> PorterStemFilter::new;
            case "light_english", "kstem" -> KStemFilter::new;
            case "minimal_english" -> EnglishMinimalStemFilter::new;
            case "possessive_english" -> EnglishPossessiveFilter::new;
            default -> throw new IllegalArgumentException(
                "stemmer language [" + lang + "] not supported by this node (MiniAnalysisPlugin): use indonesian, "
                    + "light_indonesian, english, porter, light_english, kstem, minimal_english, possessive_english");
        };
    }

    static TokenFilterFactory filter(String name, Settings s, Function<TokenStream, TokenStream> f) {
        return new AbstractTokenFilterFactory(name, s) {
            @Override
            public TokenStream create(TokenStream ts) {
                return f.apply(ts);
            }
        };
    }

    static final class AsciiFolding extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final boolean preserveOriginal;

        AsciiFolding(String name, Settings s) {
            super(name, s);
            this.preserveOriginal = s.getAsBoolean("preserve_original", false);
        }

        @Override
        public TokenStream create(TokenStream ts) {
            return new ASCIIFoldingFilter(ts, preserveOriginal);
        }

        @Override
        public TokenStream normalize(TokenStream ts) {
            return new ASCIIFoldingFilter(ts, false); // usable in keyword normalizers
        }
    }

    static TokenizerFactory tokenizer(IndexSettings is, Settings s, String name, Supplier<Tokenizer> sup) {
        return new AbstractTokenizerFactory(is, s, name) {
            @Override
            public Tokenizer create() {
                return sup.get();
            }
        };
    }

    static <A extends Analyzer> AnalyzerProvider<A> analyzer(String name, Settings s, Supplier<A> sup) {
        A a = sup.get();
        return new AbstractIndexAnalyzerProvider<A>(name, s) {
            @Override
            public A get() {
                return a;
            }
        };
    }
}
