/**
 * The home of online slot migration: the engine that moves a slot's keys between proxies and
 * decides, per slot, when it changes hands. It gets the proxy through the {@code engine} layer's
 * {@code EngineHost} only. It has no classes; the rule below says what a class placed here may use. May use {@code engine} and the layers below it;
 * the command layer (UMCTL) may use it.
 */
package io.moonshard.proxy.internal.migration;
