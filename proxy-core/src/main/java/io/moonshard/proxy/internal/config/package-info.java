/**
 * Settings that change at run time and are read below the command layer: who may log in
 * ({@link io.moonshard.proxy.internal.config.Credentials}) and the live limits
 * ({@link io.moonshard.proxy.internal.config.LiveLimits}). The command layer's {@code LiveSettings}
 * parses and sets them. Uses nothing of the engine.
 */
package io.moonshard.proxy.internal.config;
