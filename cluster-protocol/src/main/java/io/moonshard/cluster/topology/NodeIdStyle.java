package io.moonshard.cluster.topology;

/**
 * How a proxy's 40-character node ID is formed from the cluster name and the proxy address: the name
 * right-padded with {@code _}, then the lowercase hex of {@link Crc64} of the address (no leading
 * zeros) right-padded with {@code _}.
 */
public enum NodeIdStyle {
    /** 20 + 20, as in the original design note: {@code mydb________________9f8fca2805923328____}. */
    SEED(20, 20),
    /** 24 + 16, as in undermoon 0.6: {@code mydb____________________9f8fca2805923328}. */
    UNDERMOON(24, 16);

    private final int nameWidth;
    private final int hashWidth;

    NodeIdStyle(int nameWidth, int hashWidth) {
        this.nameWidth = nameWidth;
        this.hashWidth = hashWidth;
    }

    /** The node ID of the proxy at {@code address} in cluster {@code clusterName}. */
    public String nodeId(String clusterName, String address) {
        return pad(clusterName, nameWidth) + pad(Long.toHexString(Crc64.crc64(address)), hashWidth);
    }

    /**
     * The node ID of the replica role that the proxy at {@code replicaProxy} plays for the master behind
     * {@code masterProxy}: the same form, hashed over {@code "<replicaProxy> replica-of <masterProxy>"}.
     * A proxy that hosts a master and a replica of another proxy's master is shown twice under one
     * address (as both, the way Redis shows two nodes), so the replica needs an ID of its own; formed from
     * the two proxy addresses only, every proxy computes the same ID, whichever Redis node it is.
     */
    public String replicaNodeId(String clusterName, String replicaProxy, String masterProxy) {
        return nodeId(clusterName, replicaProxy + " replica-of " + masterProxy);
    }

    private static String pad(String s, int width) {
        if (s.length() >= width) {
            return s.substring(0, width);
        }
        return s + "_".repeat(width - s.length());
    }
}
