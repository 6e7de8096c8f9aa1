/**
 * A cluster record as the proxies are told it: the {@code UMCTL SETREPL} and {@code UMCTL SETCLUSTER}
 * arguments of each proxy ({@link io.moonshard.controller.render.MetadataRenderer}), rendered with
 * cluster-protocol's renderers so they read back with the proxies' own parsers. Pure: no I/O.
 */
package io.moonshard.controller.render;
