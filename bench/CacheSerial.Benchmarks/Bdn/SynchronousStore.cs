using System.Buffers;
using System.Collections.Concurrent;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>An <see cref="ICacheStore"/> that answers from a dictionary, synchronously: no I/O, so only the cache's own
/// work is measured.</summary>
internal sealed class SynchronousStore : ICacheStore
{
    private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

    public ValueTask<CacheStoreLease> GetAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) =>
        new(_entries.TryGetValue(key, out var value) ? new CacheStoreLease(value) : CacheStoreLease.None);

    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default)
    {
        _entries[key] = value.ToArray();
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        _entries.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }

    /// <summary>The stored length of <paramref name="key"/> (0 when absent): what the store would hold.</summary>
    public int LengthOf(string key) => _entries.TryGetValue(key, out var value) ? value.Length : 0;

    public ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
