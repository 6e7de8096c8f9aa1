/** Routing decisions for data commands: pure functions of a snapshot and a command. */
package io.moonshard.cluster.route;
