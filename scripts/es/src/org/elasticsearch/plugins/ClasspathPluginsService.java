/*
 * PluginsService that loads a fixed list of plugin classes from the application
 * classpath instead of scanning modules/ and plugins/ directories.
 * Lives in org.elasticsearch.plugins to reach package-private helpers
 * (same approach as MockPluginsService in ES' test framework). Classpath mode only.
 */
package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.jdk.ModuleQualifiedExportsService;
import org.elasticsearch.plugins.spi.SPIClassIterator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;

    public ClasspathPluginsService(Settings settings, Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        // null modules/plugins directories: nothing is loaded from the filesystem
        super(settings, environment.configFile(), null, null);
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin plugin = loadPlugin(pluginClass, settings, environment.configFile());
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getSimpleName(),
                "classpath plugin",
                Build.current().version(),
                Build.current().version(),
                Integer.toString(Runtime.version().feature()),
                pluginClass.getName(),
                null,
                Collections.emptyList(),
                false,
                false,
                false,
                false
            );
            loaded.add(new LoadedPlugin(descriptor, plugin, pluginClass.getClassLoader(), ModuleLayer.boot()));
        }
        loadExtensions(loaded);
        this.classpathPlugins = List.copyOf(loaded);
    }

    @Override
    protected final List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }

    @Override
    public PluginsAndModules info() {
        return new PluginsAndModules(
            classpathPlugins.stream().map(LoadedPlugin::descriptor).map(PluginRuntimeInfo::new).toList(),
            List.of()
        );
    }

    @Override
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        // all plugins share the system class loader: de-duplicate SPI implementations
        Map<Class<?>, T> result = new HashMap<>();
        for (LoadedPlugin p : plugins()) {
            Plugin plugin = p.instance();
            Iterator<Class<? extends T>> it = SPIClassIterator.get(service, plugin.getClass().getClassLoader());
            while (it.hasNext()) {
                Class<? extends T> c = it.next();
                if (result.containsKey(c)) continue;
                boolean compatible = true;
                for (var ctor : c.getConstructors()) {
                    if (ctor.getParameterCount() == 1 && ctor.getParameterTypes()[0] != plugin.getClass()) {
                        compatible = false;
                        break;
                    }
                }
                if (compatible) result.put(c, createExtension(c, service, plugin));
            }
        }
        return List.copyOf(result.values());
    }

    @Override
    protected void addServerExportsService(Map<String, List<ModuleQualifiedExportsService>> qualifiedExports) {
        // not running modular
    }
}
