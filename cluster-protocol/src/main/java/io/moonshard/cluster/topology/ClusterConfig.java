package io.moonshard.cluster.topology;

import java.util.Locale;
import java.util.Map;

/**
 * The per-cluster settings that SETCLUSTER's {@code CONFIG} section carries (undermoon's names and
 * defaults). The proxy stores and shows them; slot migration will use the migration fields.
 */
public record ClusterConfig(
        String compressionStrategy,
        long migrationMaxMigrationTime,
        long migrationMaxBlockingTime,
        long migrationScanInterval,
        long migrationScanCount) {

    public static final ClusterConfig DEFAULT = new ClusterConfig("disabled", 10_800, 10_000, 500, 16);

    /**
     * Applies {@code field value} pairs over the defaults.
     *
     * @throws IllegalArgumentException for an unknown field or a bad value
     */
    public static ClusterConfig fromFields(Map<String, String> fields) {
        String compression = DEFAULT.compressionStrategy;
        long maxMigration = DEFAULT.migrationMaxMigrationTime;
        long maxBlocking = DEFAULT.migrationMaxBlockingTime;
        long scanInterval = DEFAULT.migrationScanInterval;
        long scanCount = DEFAULT.migrationScanCount;
        for (Map.Entry<String, String> e : fields.entrySet()) {
            String value = e.getValue();
            switch (e.getKey().toLowerCase(Locale.ROOT)) {
                case "compression_strategy" -> {
                    String v = value.toLowerCase(Locale.ROOT);
                    if (!v.equals("disabled") && !v.equals("set_get_only") && !v.equals("allow_all")) {
                        throw new IllegalArgumentException("compression_strategy " + value);
                    }
                    compression = v;
                }
                case "migration_max_migration_time" -> maxMigration = unsigned(value);
                case "migration_max_blocking_time" -> maxBlocking = unsigned(value);
                case "migration_scan_interval" -> scanInterval = unsigned(value);
                case "migration_scan_count" -> {
                    scanCount = unsigned(value);
                    if (scanCount == 0) {
                        throw new IllegalArgumentException("migration_scan_count must be > 0");
                    }
                }
                default -> throw new IllegalArgumentException("unknown config field " + e.getKey());
            }
        }
        return new ClusterConfig(compression, maxMigration, maxBlocking, scanInterval, scanCount);
    }

    private static long unsigned(String value) {
        if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not a number: " + value);
        }
        return Long.parseLong(value);
    }
}
