package io.moonshard.proxy.internal.command;

import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Facts about this proxy process that INFO, HELLO and CLIENT replies show. */
final class ServerInfo {

    /** The Redis version we present: the command table and replies follow Redis 7.0.15. */
    static final String REDIS_VERSION = "7.0.15";
    static final String MOONSHARD_VERSION = versionFromManifest();

    final String runId;
    final long startMillis = System.currentTimeMillis();
    final long processId = ProcessHandle.current().pid();

    ServerInfo() {
        byte[] random = new byte[20];
        new SecureRandom().nextBytes(random);
        runId = HexFormat.of().formatHex(random);
    }

    long uptimeSeconds() {
        return (System.currentTimeMillis() - startMillis) / 1000;
    }

    static String jvm() {
        return ManagementFactory.getRuntimeMXBean().getVmName() + " " + Runtime.version();
    }

    private static String versionFromManifest() {
        String v = ServerInfo.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
