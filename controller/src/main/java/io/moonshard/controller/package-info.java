/**
 * The control plane of Moonshard: the only writer of cluster metadata, kept in etcd.
 *
 * <p>Packages, each using only those below it (ControllerLayersTest):
 * <pre>
 *   cli                       picocli commands: run a controller, or talk to one over HTTP
 *   api                       the HTTP JSON API, /metrics, /health, /ready
 *   reconcile                 the leader's loop: push metadata, probe, fail over, move slots
 *   placement  election  proxyclient
 *                             pure planning; leadership on the store; a RESP client to the proxies
 *   render  store             topology to UMCTL arguments; the store interface and its etcd implementation
 *   model                     immutable records kept in the store, as JSON
 * </pre>
 */
package io.moonshard.controller;
