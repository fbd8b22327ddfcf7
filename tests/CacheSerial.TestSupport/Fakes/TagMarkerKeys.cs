namespace CacheSerial.TestSupport.Fakes;

/// <summary>Tells the stored keys of tag markers (and the clear marker) from entries' keys, for fakes that count entry reads.</summary>
public static class TagMarkerKeys
{
    /// <summary>Markers' keys carry U+001D after the prefix, which entry keys can never contain (docs/wire-format.md).</summary>
    public static bool IsMarker(string storeKey) => storeKey.Contains('\u001D', StringComparison.Ordinal);
}
