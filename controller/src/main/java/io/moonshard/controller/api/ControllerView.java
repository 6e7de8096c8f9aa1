package io.moonshard.controller.api;

import io.moonshard.controller.reconcile.ClusterAdmin;
import io.moonshard.controller.reconcile.Observation;
import java.util.Map;

/** What the API reads of the running controller besides the store. */
public interface ControllerView {

    ClusterAdmin admin();

    /** Planned handovers of a shard's master. */
    io.moonshard.controller.reconcile.Switchover switchover();

    /** The leader's latest observations of the proxies; empty on a standby. */
    Map<String, Observation> observations();

    /** Who leads (the leader key's value: the candidate and its token), or null when nobody does. */
    Object leader();

    boolean isLeader();

    /** Whether the store answered recently. */
    boolean storeReachable();

    /** The Prometheus text of the controller's meters. */
    String scrape();
}
