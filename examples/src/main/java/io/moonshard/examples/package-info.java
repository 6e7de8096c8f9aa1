/** Runnable, tested demos of embedding Moonshard. */
package io.moonshard.examples;
