/**
 * The runnable jar: {@code moonshard-controller server} runs a controller; the other subcommands
 * ({@code proxy ...}, {@code cluster ...}) talk to a running one over its HTTP API.
 */
package io.moonshard.controller.cli;
