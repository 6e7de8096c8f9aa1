/**
 * The store the controller keeps its whole state in: a small interface ({@link
 * io.moonshard.controller.store.MetadataStore}) of keys with revisions, transactions that compare
 * revisions, watches and leases, so that a Kubernetes store can follow etcd. The etcd implementation
 * is {@code store.etcd}, on jetcd. Calls block the calling controller thread for at most the store's
 * request timeout: the controller's loops are plain threads, never event loops.
 */
package io.moonshard.controller.store;
