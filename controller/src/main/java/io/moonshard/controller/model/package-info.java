/**
 * What the controller keeps in the store, as immutable records serialised to JSON ({@link
 * io.moonshard.controller.model.Json}): the pool's proxies, and one {@link
 * io.moonshard.controller.model.ClusterRecord} per cluster holding its whole topology, so that every
 * topology change is one write of one key (one etcd transaction) and the key's revision is the epoch.
 */
package io.moonshard.controller.model;
