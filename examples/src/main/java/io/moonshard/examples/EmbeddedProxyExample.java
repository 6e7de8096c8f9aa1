package io.moonshard.examples;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.ProxyServer;

/**
 * Embedding a Moonshard proxy in a JVM application: one proxy in front of one Redis, owning every
 * slot, configured at start with the same {@code UMCTL SETCLUSTER} line a coordinator would send.
 *
 * <pre>
 * java -cp ... io.moonshard.examples.EmbeddedProxyExample 127.0.0.1:6379 127.0.0.1:5299
 * redis-cli -c -p 5299 set hello world
 * </pre>
 */
public final class EmbeddedProxyExample {

    private EmbeddedProxyExample() {
    }

    /** Starts a proxy on {@code listen} that serves all 16384 slots from the Redis at {@code redis}. */
    public static ProxyServer start(String redis, String listen) throws InterruptedException {
        ProxyConfig config = ProxyConfig.builder()
                .address(listen)
                .initialSetCluster("UMCTL SETCLUSTER v2 1 NOFLAGS example " + redis + " 1 0-16383")
                .build();
        return ProxyServer.builder().config(config).build().start();
    }

    public static void main(String[] args) throws Exception {
        String redis = args.length > 0 ? args[0] : "127.0.0.1:6379";
        String listen = args.length > 1 ? args[1] : ProxyConfig.DEFAULT_ADDRESS;
        ProxyServer proxy = start(redis, listen);
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::close));
        System.out.println("Moonshard proxy on " + proxy.boundAddress() + " in front of " + redis);
        proxy.terminationFuture().join();
    }
}
