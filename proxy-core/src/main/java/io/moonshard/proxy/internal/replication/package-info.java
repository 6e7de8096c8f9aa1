/**
 * The home of replication and failover. {@link io.moonshard.proxy.internal.replication.ReplicaPoller}
 * gathers the replicas CLUSTER replies show, from this proxy's and its peers' SETREPL metadata
 * ({@link io.moonshard.proxy.internal.replication.ReplicaReports}, pure). The roles {@code UMCTL SETREPL}
 * sets are metadata and live in {@code metadata} ({@code ReplicationState}, {@code ReplicaTopology}). May
 * use {@code engine} and the layers below it; the command layer (UMCTL) may use it.
 */
package io.moonshard.proxy.internal.replication;
