/**
 * What a background engine is and what it is given: {@link io.moonshard.proxy.internal.engine.BackgroundEngine}
 * and {@link io.moonshard.proxy.internal.engine.EngineHost} (the event loops and their backend pools,
 * the cluster snapshot and its changes, the clients and their state). The first engine,
 * {@link io.moonshard.proxy.internal.engine.RetiredBackends}, drains connections to backends that left
 * the cluster. May use {@code route} and the layers below it.
 */
package io.moonshard.proxy.internal.engine;
