/**
 * Test support shared by every Moonshard module: a Netty leak detector whose reports fail the test
 * class that caused them ({@link io.moonshard.testkit.LeakCheckExtension}), and real
 * {@code redis-server} processes on free loopback ports ({@link io.moonshard.testkit.RedisProcess}).
 */
package io.moonshard.testkit;
