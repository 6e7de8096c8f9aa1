/**
 * Test support shared by every Moonshard module: a Netty leak detector whose reports fail the test
 * class that caused them ({@link io.moonshard.testkit.LeakCheckExtension}), and real
 * {@code redis-server} processes on free loopback ports ({@link io.moonshard.testkit.RedisProcess}),
 * and the slot-migration harness of proxy-core's and proxy-server's ITs: the acknowledged-write
 * ledger ({@link io.moonshard.testkit.AckLedger}), undermoon's coordinator played one move at a time
 * ({@link io.moonshard.testkit.MigrationCoordinator}) and keys for chosen slots
 * ({@link io.moonshard.testkit.Slots}); for the controller, real etcd clusters of separate processes
 * ({@link io.moonshard.testkit.EtcdCluster}, without an etcd client library).
 */
package io.moonshard.testkit;
