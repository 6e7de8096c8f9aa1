package io.moonshard.cluster.umctl;

import java.util.List;

/**
 * A parsed {@code UMCTL SETREPL}: the roles of local Redis nodes and their replication peers
 * (undermoon-proxy-spec §2.2). It has its own epoch, separate from SETCLUSTER's.
 */
public record SetReplRequest(long epoch, boolean force, List<Node> nodes) {

    /** A local node's role; for a master the peers are its replicas, for a replica its masters. */
    public record Node(boolean master, String clusterName, String address, List<Peer> peers) {
        public Node {
            peers = List.copyOf(peers);
        }
    }

    /** A peer node and the proxy in front of it. */
    public record Peer(String nodeAddress, String proxyAddress) {
    }

    public SetReplRequest {
        nodes = List.copyOf(nodes);
    }

    /** undermoon's epoch rule: strictly greater than the last SETREPL epoch, unless FORCE. */
    public boolean acceptableAfter(long currentEpoch) {
        return force || epoch > currentEpoch;
    }

    /** Null when every local node runs on {@code announceHost}, else {@code ERR_NOT_MY_META}. */
    public String notMyMetaError(String announceHost) {
        for (Node n : nodes) {
            if (!n.address().substring(0, n.address().lastIndexOf(':')).equals(announceHost)) {
                return "ERR_NOT_MY_META";
            }
        }
        return null;
    }
}
