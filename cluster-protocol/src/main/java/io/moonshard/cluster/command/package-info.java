/**
 * The Redis command table: every command's arity, flags, key specs and subcommands, generated from a
 * real Redis 7.0.15 ({@code scripts/generate-command-table.sh}), with allocation-free lookup
 * ({@link io.moonshard.cluster.command.CommandTable}), key extraction that matches
 * {@code COMMAND GETKEYS} ({@link io.moonshard.cluster.command.CommandSpec#findKeys}) and Redis's exact
 * pre-execution errors ({@link io.moonshard.cluster.command.CommandErrors}). Pure Java; the only I/O is
 * reading the generated resource from the classpath once.
 */
package io.moonshard.cluster.command;
