/** The proxy engine and its embedding API ({@code ProxyServer}). */
package io.moonshard.proxy;
