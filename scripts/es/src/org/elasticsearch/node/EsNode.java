/*
 * Minimal single-JVM Elasticsearch node launcher built only from Maven Central artifacts
 * (org.elasticsearch:elasticsearch + org.elasticsearch.plugin:transport-netty4).
 * Lives in org.elasticsearch.node to subclass the package-private NodeServiceProvider
 * (same trick as MockNode in ES' test framework).
 *
 * Usage: java -cp CP org.elasticsearch.node.EsNode -basePath DIR [-httpPort 9201] [-transportPort 9301]
 *        [-clusterName narrawatch] [-nodeName es-local]
 */
package org.elasticsearch.node;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class EsNode extends Node {

    static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        narrawatch.esnode.MiniAnalysisPlugin.class,
        narrawatch.esnode.RestExtrasPlugin.class
    );

    EsNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(env, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment environment, Settings settings) {
                return new ClasspathPluginsService(settings, environment, plugins);
            }
        }, true));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("-")) throw new IllegalArgumentException("bad argument: " + args[i]);
            opts.put(args[i].substring(1), args[i + 1]);
        }
        if (args.length % 2 != 0 || !opts.containsKey("basePath")) {
            System.err.println("usage: EsNode -basePath DIR [-httpPort 9201] [-transportPort 9301] [-clusterName NAME] [-nodeName NAME]");
            System.exit(2);
        }
        Path base = Path.of(opts.get("basePath")).toAbsolutePath().normalize();
        Path home = base.resolve("home");
        Path config = home.resolve("config");
        Path data = base.resolve("data");
        Path logs = base.resolve("logs");
        for (Path p : List.of(home, config, data, logs)) Files.createDirectories(p);

        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("cluster.name", opts.getOrDefault("clusterName", "narrawatch"))
            .put("node.name", opts.getOrDefault("nodeName", "es-local"))
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", opts.getOrDefault("httpPort", "9201"))
            .put("transport.port", opts.getOrDefault("transportPort", "9301"))
            // small CI machines: do not block allocation / go read-only on a fullish disk
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();

        // console-only logging (the start script redirects stdout/stderr to BASEDIR/logs/es-node.log)
        Files.writeString(config.resolve("log4j2.properties"), String.join("\n",
            "status = error",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
            "rootLogger.level = " + opts.getOrDefault("logLevel", "info"),
            "rootLogger.appenderRef.console.ref = console",
            ""));
        LogConfigurator.registerErrorListener();
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Collections.emptyMap(), config, () -> "es-local");
        LogConfigurator.setNodeName(env.settings().get("node.name"));
        LogConfigurator.configure(env, true);
        EsNode node = new EsNode(env, PLUGINS);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "es-node-shutdown"));
        node.start();
        System.out.println("EsNode started: http://127.0.0.1:" + opts.getOrDefault("httpPort", "9201") + " base=" + base);
        stopped.await(); // ES thread pools are daemon threads: keep the JVM alive
    }
}
