package io.moonshard.cluster.umctl;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.ClusterConfig;
import io.moonshard.cluster.topology.ClusterSnapshot;
import io.moonshard.cluster.topology.MigrationMeta;
import io.moonshard.cluster.topology.RangeTag;
import io.moonshard.cluster.topology.SlotAssignment;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * SETCLUSTER's COMPRESS form: one argument holding base64 of gzip of a JSON object with the cluster
 * name, the local and peer maps and the cluster config (undermoon's serde layout).
 *
 * <p>Both sizes are bounded, so a small payload cannot make the proxy inflate gigabytes: a real
 * cluster's metadata (16384 single-slot ranges, hundreds of peers) is a few hundred KB of JSON.
 */
final class CompressedSetCluster {

    private static final int MAX_PAYLOAD_BYTES = SetClusterParser.MAX_COMPRESSED_BYTES;
    /** Inflating stops at the first chunk that would pass it. */
    private static final int MAX_INFLATED_BYTES = SetClusterParser.MAX_INFLATED_BYTES;

    private CompressedSetCluster() {
    }

    static SetClusterRequest parse(String payload, long epoch, boolean force) {
        if (payload.length() > MAX_PAYLOAD_BYTES) {
            throw new SetClusterParser.BadArgs(SetClusterParser.INVALID_METADATA + "the COMPRESS payload is "
                    + payload.length() + " bytes, over the limit of " + MAX_PAYLOAD_BYTES);
        }
        Map<?, ?> root;
        try {
            byte[] json = inflate(Base64.getDecoder().decode(payload));
            root = (Map<?, ?>) Json.parse(new String(json, StandardCharsets.UTF_8));
            String name = SetClusterParser.validName((String) root.get("cluster_name"));
            Map<String, List<SlotAssignment>> local = nodes((Map<?, ?>) root.get("local"));
            Map<String, List<SlotAssignment>> peers = nodes((Map<?, ?>) root.get("peer"));
            ClusterConfig config = config((Map<?, ?>) root.get("cluster_config"));
            return new SetClusterRequest(new ClusterSnapshot(name, epoch, SetClusterParser.normalise(local),
                    SetClusterParser.normalise(peers), config, true), force, false);
        } catch (SetClusterParser.BadArgs e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // bad base64, gzip or JSON, or a field of the wrong type
            throw new SetClusterParser.BadArgs(SetClusterParser.INVALID_ARGS);
        }
    }

    /** Gunzips {@code gz}, refusing as soon as the output passes {@link #MAX_INFLATED_BYTES}. */
    private static byte[] inflate(byte[] gz) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(MAX_INFLATED_BYTES, 4 * gz.length + 64));
        byte[] chunk = new byte[16 * 1024];
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), chunk.length)) {
            for (int n; (n = in.read(chunk)) > 0; ) {
                if (out.size() + n > MAX_INFLATED_BYTES) {
                    throw new SetClusterParser.BadArgs(SetClusterParser.INVALID_METADATA
                            + "the COMPRESS payload inflates to over " + MAX_INFLATED_BYTES + " bytes");
                }
                out.write(chunk, 0, n);
            }
        }
        return out.toByteArray();
    }

    private static Map<String, List<SlotAssignment>> nodes(Map<?, ?> json) {
        Map<String, List<SlotAssignment>> out = new LinkedHashMap<>();
        if (json == null) {
            return out;
        }
        for (Map.Entry<?, ?> e : json.entrySet()) {
            String address = SetClusterParser.validAddress((String) e.getKey());
            List<SlotAssignment> list = new ArrayList<>();
            for (Object item : (List<?>) e.getValue()) {
                Map<?, ?> range = (Map<?, ?>) item;
                List<SlotRange> ranges = new ArrayList<>();
                for (Object pair : (List<?>) range.get("range_list")) {
                    List<?> p = (List<?>) pair;
                    ranges.add(SlotRange.parse(p.get(0) + "-" + p.get(1)));
                }
                Object tag = range.get("tag");
                if ("None".equals(tag)) {
                    list.add(SlotAssignment.stable(SlotSet.of(ranges)));
                } else {
                    Map<?, ?> tagMap = (Map<?, ?>) tag;
                    boolean migrating = tagMap.containsKey("Migrating");
                    Map<?, ?> meta = (Map<?, ?>) tagMap.get(migrating ? "Migrating" : "Importing");
                    if (meta == null) {
                        throw new IllegalArgumentException("unknown tag " + tag);
                    }
                    list.add(new SlotAssignment(SlotSet.of(ranges), migrating ? RangeTag.MIGRATING : RangeTag.IMPORTING,
                            new MigrationMeta((Long) meta.get("epoch"),
                                    SetClusterParser.validAddress((String) meta.get("src_proxy_address")),
                                    SetClusterParser.validAddress((String) meta.get("src_node_address")),
                                    SetClusterParser.validAddress((String) meta.get("dst_proxy_address")),
                                    SetClusterParser.validAddress((String) meta.get("dst_node_address")))));
                }
            }
            out.put(address, list);
        }
        return out;
    }

    private static ClusterConfig config(Map<?, ?> json) {
        if (json == null) {
            return ClusterConfig.DEFAULT;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        if (json.get("compression_strategy") != null) {
            fields.put("compression_strategy", json.get("compression_strategy").toString());
        }
        Map<?, ?> migration = (Map<?, ?>) json.get("migration_config");
        if (migration != null) {
            for (String f : List.of("max_migration_time", "max_blocking_time", "scan_interval", "scan_count")) {
                if (migration.get(f) != null) {
                    fields.put("migration_" + f, migration.get(f).toString());
                }
            }
        }
        return ClusterConfig.fromFields(fields);
    }
}
