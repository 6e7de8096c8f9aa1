/**
 * The cluster metadata: the immutable snapshot that {@code UMCTL SETCLUSTER} publishes
 * ({@link io.moonshard.proxy.internal.metadata.ClusterState}, one reference swapped atomically, with
 * listeners told of each new one), the replication roles {@code SETREPL} sets and the replicas shown
 * and read from ({@link io.moonshard.proxy.internal.metadata.ReplicaTopology}), the controller's
 * lease on serving the slots ({@link io.moonshard.proxy.internal.metadata.Lease}, {@code UMCTL LEASE}),
 * and the address rewriting TLS clients see. May use {@code config} and {@code wire}.
 */
package io.moonshard.proxy.internal.metadata;
