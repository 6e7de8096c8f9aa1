/** The cluster as one immutable snapshot: nodes, slots, migration tags, node IDs. */
package io.moonshard.cluster.topology;
