/**
 * Redis 7.0's access control lists, held and checked by the proxy: users with passwords, command,
 * key and channel rules and selectors, in Redis's syntax, rendered and checked as {@code acl.c} does.
 * Pure logic over the generated command table; no I/O.
 */
package io.moonshard.proxy.acl;
