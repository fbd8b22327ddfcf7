namespace CacheSerial.Internal;

/// <summary>How a read ended.</summary>
internal enum ReadState : byte
{
    Miss = 0,
    Fresh,

    /// <summary>Past its logical expiry, kept by fail-safe: served only as a fallback.</summary>
    Stale,
}
