/** Pure Redis Cluster logic: slots, node IDs, snapshots, UMCTL parsing, routing, CLUSTER replies, the command table. No I/O. */
package io.moonshard.cluster;
