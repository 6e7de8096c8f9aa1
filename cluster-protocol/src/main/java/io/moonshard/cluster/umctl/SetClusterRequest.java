package io.moonshard.cluster.umctl;

import io.moonshard.cluster.topology.ClusterSnapshot;

/**
 * A parsed {@code UMCTL SETCLUSTER}: the snapshot it describes, its flags, and whether an invalid
 * CONFIG section was ignored (then the reply is {@code +WARNING: ignored invalid config}).
 */
public record SetClusterRequest(ClusterSnapshot snapshot, boolean force, boolean configIgnored) {

    /** undermoon's epoch rule: strictly greater than the current epoch, unless FORCE. */
    public boolean acceptableAfter(long currentEpoch) {
        return force || snapshot.epoch() > currentEpoch;
    }

    /** Null when every local Redis runs on {@code announceHost} (a plain string compare), else the error. */
    public String notMyMetaError(String announceHost) {
        for (String address : snapshot.localBackends()) {
            int colon = address.lastIndexOf(':');
            if (!address.substring(0, colon).equals(announceHost)) {
                return "ERR_NOT_MY_META";
            }
        }
        return null;
    }

    /** The success reply line, without {@code +} and CRLF. */
    public String okReply() {
        return configIgnored ? "WARNING: ignored invalid config" : "OK";
    }
}
