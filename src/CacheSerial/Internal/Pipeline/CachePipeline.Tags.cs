namespace CacheSerial.Internal;

/// <summary>
/// Removal by tag and clear: a marker per tag (and one for the whole cache) holds the time of the last removal; entries
/// written at or before it are misses wherever they are read (TagMarkers, the entry codec, the memory tier). This
/// process knows at once, the store's marker tells every process within <see cref="CacheSerialOptions.TagRefreshInterval"/>,
/// and the invalidation hub tells the processes it reaches sooner.
/// </summary>
internal sealed partial class CachePipeline
{
    /// <summary>Marks <paramref name="tags"/> removed now. Store failures are logged, never thrown.</summary>
    public async ValueTask<bool> RemoveByTagAsync(string[] tags, TimeSpan markerLifetime, CancellationToken cancellationToken)
    {
        var removedAt = _time.GetUtcNow();
        var removedAtMs = removedAt.ToUnixTimeMilliseconds();
        _markers.Removed(tags, removedAtMs);
        var keys = new CacheKey[tags.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = _keys.Marker(tags[i]);
        }

        var stored = await WriteMarkersAsync(keys, removedAtMs, markerLifetime, cancellationToken).ConfigureAwait(false);
        _hub.TagsRemoved(tags, removedAtMs);
        Log.TagsRemoved(_logger, _name, tags.Length, removedAt);
        return stored;
    }

    /// <summary>Marks every entry of this cache removed now, and empties this process's memory tier.</summary>
    public async ValueTask<bool> ClearAsync(CancellationToken cancellationToken)
    {
        var clearedAt = _time.GetUtcNow();
        var clearedAtMs = clearedAt.ToUnixTimeMilliseconds();
        _markers.Cleared(clearedAtMs);
        _hub.ClearLocal();

        // The clear marker has no expiry: it governs entries of any lifetime, and there is one per cache.
        var stored = await WriteMarkersAsync([_keys.Marker(null)], clearedAtMs, lifetime: null, cancellationToken).ConfigureAwait(false);
        _hub.Cleared(clearedAtMs);
        Log.CacheCleared(_logger, _name, clearedAt);
        return stored;
    }

    private async ValueTask<bool> WriteMarkersAsync(CacheKey[] keys, long removedAtMs, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        var entries = new EncodedEntries(keys.Length);
        var options = new CacheStoreEntryOptions(lifetime, slidingExpiration: null);
        foreach (var key in keys)
        {
            var buffer = new PooledBufferWriter(TagMarker.Length);
            TagMarker.Write(buffer.GetSpan(TagMarker.Length), removedAtMs);
            buffer.Advance(TagMarker.Length);
            entries.Add(key, new EncodedEntry(buffer, options, 0, TagMarker.Length, removedAtMs, 0, EnvelopeFlags.None));
        }

        var stored = keys.Length == 1
            ? await _tier.WriteAsync(keys[0], entries.BufferAt(0), options, cancellationToken).ConfigureAwait(false)
            : await _tier.WriteManyAsync(entries, cancellationToken).ConfigureAwait(false);
        if (!stored)
        {
            Log.TagMarkerWriteFailed(_logger, _name, keys.Length);
        }

        return stored;
    }
}
