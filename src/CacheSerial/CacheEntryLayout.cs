namespace CacheSerial;

/// <summary>How a cache lays out its entries in the store.</summary>
public enum CacheEntryLayout
{
    /// <summary>
    /// The checked binary envelope (docs/wire-format.md): codec, type, schema, key, exact expiry, flags and a checksum are
    /// verified on every read. Required for fail-safe, eager refresh and negative results. The default.
    /// </summary>
    Envelope = 0,

    /// <summary>
    /// The value's JSON text and nothing else, so other services can read and write entries with any JSON library. Needs
    /// System.Text.Json codecs. Gives up: type, schema and key checks, the checksum, the exact (sub-second) expiry (the
    /// store's TTL applies, whole seconds on Redis), fail-safe, eager refresh and negative results.
    /// </summary>
    PlainJson = 1,
}
