package io.moonshard.cluster.umctl;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders the arguments after {@code UMCTL SETREPL}: the inverse of {@link SetReplParser}. {@code
 * <epoch> NOFLAGS|FORCE}, then per node {@code master|replica <cluster> <node> <n>
 * (<peer_node> <peer_proxy>){n}} in the request's order. An empty cluster name (a free node, as
 * undermoon's coordinator sends one) is an empty argument. Refuses (IllegalArgumentException) a
 * negative epoch and an address the parser would refuse.
 */
public final class SetReplCommand {

    private SetReplCommand() {
    }

    public static List<String> args(SetReplRequest request) {
        return args(request.epoch(), request.force(), request.nodes());
    }

    public static List<String> args(long epoch, boolean force, List<SetReplRequest.Node> nodes) {
        List<String> out = new ArrayList<>();
        out.add(Long.toString(SetClusterCommand.requireEpoch(epoch)));
        out.add(force ? "FORCE" : "NOFLAGS");
        for (SetReplRequest.Node n : nodes) {
            out.add(n.master() ? "master" : "replica");
            out.add(n.clusterName());
            out.add(SetClusterCommand.address(n.address()));
            out.add(Integer.toString(n.peers().size()));
            for (SetReplRequest.Peer p : n.peers()) {
                out.add(SetClusterCommand.address(p.nodeAddress()));
                out.add(SetClusterCommand.address(p.proxyAddress()));
            }
        }
        return out;
    }
}
