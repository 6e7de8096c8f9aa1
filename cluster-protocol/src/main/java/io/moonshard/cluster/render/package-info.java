/** CLUSTER NODES / SLOTS / SHARDS / INFO / MYID replies rendered from a snapshot. */
package io.moonshard.cluster.render;
