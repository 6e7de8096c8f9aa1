package io.moonshard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.moonshard.testkit.FreePorts;
import io.moonshard.testkit.RawRedisClient;
import io.moonshard.testkit.RedisProcess;
import io.moonshard.testkit.Slots;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.resps.ClusterShardInfo;

/**
 * TLS for clients, with certificates made at test time: two proxies (a real redis-server each) that
 * listen plain on P and TLS on P + offset (the same offset for both), and one proxy that requires
 * client certificates. Cluster clients over TLS must be given TLS ports by CLUSTER NODES/SLOTS and
 * MOVED; plain clients keep plain ports.
 */
@SuppressWarnings("deprecation") // JedisCluster, and Jedis's SSLSocketFactory settings: still the way to bring one's own CA
class TlsIT {

    private static final String NAME = "tlscluster";

    private static Path dir;
    private static TestCertificates certs;
    private static final List<RedisProcess> backends = new ArrayList<>();
    private static final List<ProxyServer> proxies = new ArrayList<>();
    private static int[] plain;
    private static int offset;
    /** Requires client certificates; owns all slots. */
    private static ProxyServer authProxy;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("moonshard-tls-it");
        certs = TestCertificates.create(dir);
        int[] ports = portsWithCommonOffset(3);
        plain = new int[] {ports[0], ports[1]};
        offset = ports[3];
        for (int i = 0; i < 2; i++) {
            backends.add(RedisProcess.start());
            proxies.add(ProxyServer.builder().config(tlsConfig(plain[i]).build()).build().start());
        }
        String[][] ranges = {{"0-8191"}, {"8192-16383"}};
        for (int i = 0; i < 2; i++) {
            int peer = 1 - i;
            String reply;
            try (RawRedisClient client = new RawRedisClient(plain[i])) {
                reply = client.call("UMCTL", "SETCLUSTER", "v2", "1", "NOFLAGS", NAME,
                        backends.get(i).address(), "1", ranges[i][0],
                        "PEER", "127.0.0.1:" + plain[peer], "1", ranges[peer][0]);
            }
            assertThat(reply).isEqualTo("+OK\r\n");
        }
        RedisProcess authBackend = RedisProcess.start();
        backends.add(authBackend);
        authProxy = ProxyServer.builder().config(tlsConfig(ports[2])
                .tlsCaFile(certs.caCert().toString())
                .tlsAuthClients(true)
                .initialSetCluster("UMCTL SETCLUSTER v2 1 NOFLAGS " + NAME + " " + authBackend.address() + " 1 0-16383")
                .build()).build().start();
    }

    @AfterAll
    static void stop() throws IOException {
        for (ProxyServer p : proxies) {
            p.close();
        }
        if (authProxy != null) {
            authProxy.close();
        }
        for (RedisProcess r : backends) {
            r.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static ProxyConfig.Builder tlsConfig(int plainPort) {
        return ProxyConfig.builder()
                .address("127.0.0.1:" + plainPort)
                .threads(1)
                .tlsPort(plainPort + offset)
                .tlsCertFile(certs.serverCert().toString())
                .tlsKeyFile(certs.serverKey().toString());
    }

    /** {@code n} free plain ports, then an offset that lands every one of them on a free port: {p..., offset}. */
    private static int[] portsWithCommonOffset(int n) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int[] out = new int[n + 1];
            for (int i = 0; i < n; i++) {
                out[i] = FreePorts.next();
            }
            int off = FreePorts.next() - out[0];
            boolean ok = off != 0;
            for (int i = 1; i < n && ok; i++) {
                ok = isFree(out[i] + off);
            }
            if (ok) {
                out[n] = off;
                return out;
            }
        }
        throw new IllegalStateException("no free ports with a common offset");
    }

    private static boolean isFree(int port) {
        if (port < 1024 || port > 65535) {
            return false;
        }
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int tls(int i) {
        return plain[i] + offset;
    }

    private static Set<String> addresses(int... ports) {
        return java.util.Arrays.stream(ports).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.toSet());
    }

    /** A key in a slot of proxy {@code i}, n-th of its kind. */
    private static String keyOf(int proxy, String prefix, int n) {
        int slot = proxy == 0 ? n % 8192 : 8192 + n % 8192;
        return Slots.keyIn(slot, prefix + n);
    }

    private static JedisClientConfig jedisTls(SSLSocketFactory factory) {
        SSLParameters params = new SSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS"); // check the SAN against 127.0.0.1
        return DefaultJedisClientConfig.builder().ssl(true).sslSocketFactory(factory).sslParameters(params)
                .socketTimeoutMillis(10_000).build();
    }

    @Test
    void lettuceClusterClient_overTls_isGivenTlsPorts_andServesBothProxies() {
        RedisURI seed = RedisURI.builder().withHost("127.0.0.1").withPort(tls(0)).withSsl(true).withVerifyPeer(true)
                .build();
        RedisClusterClient client = RedisClusterClient.create(seed);
        client.setOptions(ClusterClientOptions.builder()
                .sslOptions(SslOptions.builder().jdkSslProvider().trustManager(certs.caCert().toFile()).build())
                .build());
        try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
            Set<String> discovered = client.getPartitions().stream()
                    .map(n -> n.getUri().getHost() + ":" + n.getUri().getPort()).collect(Collectors.toSet());
            assertThat(discovered).isEqualTo(addresses(tls(0), tls(1)));

            RedisAdvancedClusterCommands<String, String> sync = connection.sync();
            for (int n = 0; n < 200; n++) {
                int proxy = n % 2;
                String key = keyOf(proxy, "lettuce-tls:", n);
                assertThat(sync.set(key, "v" + n)).isEqualTo("OK");
                assertThat(sync.get(key)).isEqualTo("v" + n);
                assertThat(backends.get(proxy).rawCommand("GET", key)).isEqualTo(bulk("v" + n));
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void jedisCluster_overTls_isGivenTlsPorts_andServesBothProxies() {
        try (JedisCluster cluster = new JedisCluster(Set.of(new HostAndPort("127.0.0.1", tls(1))),
                jedisTls(certs.socketFactory()))) {
            assertThat(cluster.getClusterNodes().keySet()).isEqualTo(addresses(tls(0), tls(1)));
            for (int n = 0; n < 200; n++) {
                int proxy = n % 2;
                String key = keyOf(proxy, "jedis-tls:", n);
                assertThat(cluster.set(key, "v" + n)).isEqualTo("OK");
                assertThat(cluster.get(key)).isEqualTo("v" + n);
                assertThat(backends.get(proxy).rawCommand("GET", key)).isEqualTo(bulk("v" + n));
            }
        }
    }

    @Test
    void clusterReplies_showTlsPortsOverTls_plainPortsOverPlain_sameNodeIds() {
        try (Jedis overPlain = new Jedis(new HostAndPort("127.0.0.1", plain[0]));
             Jedis overTls = new Jedis(new HostAndPort("127.0.0.1", tls(0)), jedisTls(certs.socketFactory()))) {
            assertThat(slotPorts(overPlain.clusterSlots())).containsExactlyInAnyOrder(plain[0], plain[1]);
            assertThat(slotPorts(overTls.clusterSlots())).containsExactlyInAnyOrder(tls(0), tls(1));

            String plainNodes = overPlain.clusterNodes();
            String tlsNodes = overTls.clusterNodes();
            assertThat(nodeAddresses(plainNodes)).isEqualTo(addresses(plain[0], plain[1]));
            assertThat(nodeAddresses(tlsNodes)).isEqualTo(addresses(tls(0), tls(1)));
            assertThat(tlsNodes).isEqualTo(plainNodes
                    .replace("127.0.0.1:" + plain[0] + " ", "127.0.0.1:" + tls(0) + " ")
                    .replace("127.0.0.1:" + plain[1] + " ", "127.0.0.1:" + tls(1) + " "));
            assertThat(overTls.clusterMyId()).isEqualTo(overPlain.clusterMyId());

            assertThat(shardPorts(overPlain.clusterShards())).containsExactlyInAnyOrder(plain[0], plain[1]);
            assertThat(shardPorts(overTls.clusterShards())).containsExactlyInAnyOrder(tls(0), tls(1));
        }
    }

    @Test
    void movedRedirections_pointTlsClientsToTlsPorts() {
        String foreign = keyOf(1, "moved:", 7);
        try (Jedis overPlain = new Jedis(new HostAndPort("127.0.0.1", plain[0]));
             Jedis overTls = new Jedis(new HostAndPort("127.0.0.1", tls(0)), jedisTls(certs.socketFactory()))) {
            assertThatThrownBy(() -> overPlain.get(foreign)).isInstanceOfSatisfying(JedisMovedDataException.class,
                    e -> assertThat(e.getTargetNode()).isEqualTo(new HostAndPort("127.0.0.1", plain[1])));
            assertThatThrownBy(() -> overTls.get(foreign)).isInstanceOfSatisfying(JedisMovedDataException.class,
                    e -> assertThat(e.getTargetNode()).isEqualTo(new HostAndPort("127.0.0.1", tls(1))));

            // inside MULTI the redirection comes from the transaction code
            overTls.sendCommand(Protocol.Command.MULTI);
            assertThatThrownBy(() -> overTls.sendCommand(Protocol.Command.SET, foreign, "x"))
                    .isInstanceOfSatisfying(JedisMovedDataException.class,
                            e -> assertThat(e.getTargetNode()).isEqualTo(new HostAndPort("127.0.0.1", tls(1))));
            overTls.sendCommand(Protocol.Command.DISCARD);
            assertThat(overTls.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void plainTextClientOnTheTlsPort_isClosed_andTheProxyKeepsServing() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", tls(0)), 5000);
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(RawRedisClient.encode("PING"));
            socket.getOutputStream().flush();
            assertThat(readUntilClosed(socket.getInputStream())).doesNotContain("PONG");
        }
        try (Jedis overTls = new Jedis(new HostAndPort("127.0.0.1", tls(0)), jedisTls(certs.socketFactory()));
             RawRedisClient overPlain = new RawRedisClient(plain[0])) {
            assertThat(overTls.ping()).isEqualTo("PONG");
            assertThat(overPlain.call("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void tlsClientThatDoesNotTrustTheProxy_failsItsHandshake() {
        JedisClientConfig defaultTrust = DefaultJedisClientConfig.builder().ssl(true).socketTimeoutMillis(10_000)
                .build();
        assertThatThrownBy(() -> {
            try (Jedis jedis = new Jedis(new HostAndPort("127.0.0.1", tls(0)), defaultTrust)) {
                jedis.ping();
            }
        }).isInstanceOf(redis.clients.jedis.exceptions.JedisConnectionException.class)
                .hasCauseInstanceOf(javax.net.ssl.SSLHandshakeException.class);
        try (Jedis overTls = new Jedis(new HostAndPort("127.0.0.1", tls(0)), jedisTls(certs.socketFactory()))) {
            assertThat(overTls.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void clientAuth_refusesClientsWithoutACaSignedCertificate() throws IOException {
        int port = authProxy.tlsBoundAddress().getPort();
        assertRefused(certs.socketFactory(), port);
        assertRefused(certs.socketFactory(certs.rogueCert(), certs.rogueKey()), port);

        try (Jedis withCert = new Jedis(new HostAndPort("127.0.0.1", port),
                jedisTls(certs.socketFactory(certs.clientCert(), certs.clientKey())))) {
            assertThat(withCert.set("auth:k", "v")).isEqualTo("OK");
            assertThat(withCert.get("auth:k")).isEqualTo("v");
        }
        // the plain listener asks for no certificate
        try (RawRedisClient overPlain = new RawRedisClient(authProxy.boundAddress().getPort())) {
            assertThat(overPlain.call("GET", "auth:k")).isEqualTo("$1\r\nv\r\n");
        }
    }

    @Test
    void clientAuth_lettuceClusterClientWithItsCertificate_works() {
        int port = authProxy.tlsBoundAddress().getPort();
        RedisClusterClient client = RedisClusterClient.create(
                RedisURI.builder().withHost("127.0.0.1").withPort(port).withSsl(true).withVerifyPeer(true).build());
        client.setOptions(ClusterClientOptions.builder().sslOptions(SslOptions.builder().jdkSslProvider()
                .trustManager(certs.caCert().toFile())
                .keyManager(certs.clientCert().toFile(), certs.clientKey().toFile(), null)
                .build()).build());
        try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
            assertThat(client.getPartitions().stream().map(n -> n.getUri().getPort()).toList()).containsExactly(port);
            for (int n = 0; n < 50; n++) {
                String key = Slots.keyIn(n * 300, "auth-lettuce:");
                assertThat(connection.sync().set(key, "v" + n)).isEqualTo("OK");
                assertThat(connection.sync().get(key)).isEqualTo("v" + n);
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void tlsOnly_listensOnTheTlsPortAlone() throws Exception {
        int[] ports = portsWithCommonOffset(1);
        int plainPort = ports[0];
        int tlsPort = plainPort + ports[1];
        RedisProcess backend = RedisProcess.start();
        ProxyConfig config = ProxyConfig.builder().address("127.0.0.1:" + plainPort).threads(1)
                .tlsPort(tlsPort).tlsCertFile(certs.serverCert().toString()).tlsKeyFile(certs.serverKey().toString())
                .tlsOnly(true)
                .initialSetCluster("UMCTL SETCLUSTER v2 1 NOFLAGS " + NAME + " " + backend.address() + " 1 0-16383")
                .build();
        try (backend; ProxyServer proxy = ProxyServer.builder().config(config).build().start()) {
            assertThat(proxy.boundAddress()).isNull();
            assertThat(proxy.tlsBoundAddress().getPort()).isEqualTo(tlsPort);
            int refusedPort = plainPort;
            assertThatThrownBy(() -> new Socket("127.0.0.1", refusedPort).close()).isInstanceOf(IOException.class);
            try (Jedis overTls = new Jedis(new HostAndPort("127.0.0.1", tlsPort), jedisTls(certs.socketFactory()))) {
                assertThat(overTls.set("only:k", "v")).isEqualTo("OK");
                // the proxy is still known by its plain address; TLS clients see the TLS port
                assertThat(slotPorts(overTls.clusterSlots())).containsExactly(tlsPort);
            }
        }
    }

    @Test
    void missingOrBadFiles_failTheStart_namingTheOption() throws IOException {
        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "not a pem file\n");
        int port = FreePorts.next();

        assertThatThrownBy(() -> ProxyServer.builder().config(ProxyConfig.builder().address("127.0.0.1:" + port)
                        .tlsPort(port + 1).tlsCertFile(dir.resolve("missing.pem").toString())
                        .tlsKeyFile(certs.serverKey().toString()).build()).build().start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tls_cert_file").hasMessageContaining("missing.pem");
        assertThatThrownBy(() -> ProxyServer.builder().config(ProxyConfig.builder().address("127.0.0.1:" + port)
                        .tlsPort(port + 1).tlsCertFile(certs.serverCert().toString())
                        .tlsKeyFile(garbage.toString()).build()).build().start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tls_key_file");
        assertThatThrownBy(() -> ProxyServer.builder().config(ProxyConfig.builder().address("127.0.0.1:" + port)
                        .tlsPort(port + 1).tlsCertFile(certs.serverCert().toString())
                        .tlsKeyFile(certs.serverKey().toString()).tlsCaFile(garbage.toString())
                        .tlsAuthClients(true).build()).build().start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tls_ca_file");
        // nothing was left listening
        assertThat(isFree(port)).isTrue();
    }

    /** The handshake fails, or the proxy closes the connection before answering anything. */
    private static void assertRefused(SSLSocketFactory factory, int port) {
        try (SSLSocket socket = (SSLSocket) factory.createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            socket.startHandshake(); // with TLS 1.3 the client may finish before the server checks its certificate
            socket.getOutputStream().write(RawRedisClient.encode("PING"));
            socket.getOutputStream().flush();
            assertThat(readUntilClosed(socket.getInputStream())).doesNotContain("PONG");
        } catch (IOException expected) {
            // refused during the handshake or by an alert right after it
        }
    }

    /** Everything readable until the peer closes (an exception counts as closed). */
    private static String readUntilClosed(InputStream in) {
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[256];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("the proxy did not close the connection", e);
        } catch (IOException e) {
            // reset or TLS alert: closed
        }
        return sb.toString();
    }

    private static String bulk(String s) {
        return "$" + s.length() + "\r\n" + s + "\r\n";
    }

    private static List<Integer> slotPorts(List<Object> slots) {
        Set<Integer> ports = new HashSet<>();
        for (Object range : slots) {
            List<?> r = (List<?>) range;
            List<?> master = (List<?>) r.get(2);
            ports.add(((Long) master.get(1)).intValue());
        }
        return new ArrayList<>(ports);
    }

    private static Set<String> nodeAddresses(String clusterNodes) {
        return clusterNodes.lines().map(l -> l.split(" ")[1]).collect(Collectors.toSet());
    }

    private static List<Integer> shardPorts(List<ClusterShardInfo> shards) {
        return shards.stream().map(s -> s.getNodes().get(0).getPort().intValue()).toList();
    }
}
