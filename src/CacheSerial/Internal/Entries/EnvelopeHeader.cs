namespace CacheSerial.Internal;

/// <summary>The header fields a read hands back after the checks pass.</summary>
internal readonly record struct EnvelopeHeader(EnvelopeFlags Flags, long CreatedAtMs, long ExpiresAtMs);
