/**
 * The {@link io.moonshard.controller.store.MetadataStore} on etcd 3.4 through jetcd: {@link
 * io.moonshard.controller.store.etcd.EtcdStore}. Calls are bounded by one request timeout (a bounded
 * blocking wait on controller threads plus a gRPC deadline, {@code RequestDeadline}); watches resume
 * by themselves after transient errors and report RESET when etcd gives up on them ({@code EtcdWatch});
 * leases are renewed by an own loop that knows when each renewal was sent ({@code EtcdLease}, {@code
 * LeaseValidity}), so a holder stops before etcd can hand its keys to a successor.
 */
package io.moonshard.controller.store.etcd;
