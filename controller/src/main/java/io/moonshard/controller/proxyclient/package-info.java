/**
 * The controller's connections to proxies: a blocking RESP client ({@link
 * io.moonshard.controller.proxyclient.ProxyLink}) with real connect and read timeouts, used from the
 * controller's own threads, and the typed calls the controller makes (LEASE, GETEPOCH, INFOREPL,
 * SETREPL, SETCLUSTER, PROMOTE, INFOMGR). Replies are resp-codec's {@code RespValue}s.
 */
package io.moonshard.controller.proxyclient;
