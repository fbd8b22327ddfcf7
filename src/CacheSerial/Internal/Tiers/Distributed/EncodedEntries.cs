using System.Collections;

namespace CacheSerial.Internal;

/// <summary>
/// Encoded entries of one write (a factory run's or a bulk set's), owning their pooled buffers until disposed. One array
/// holds key, buffer and store options together, and the object is the list of its keys, so a run of one key allocates
/// two small objects for it.
/// </summary>
internal sealed class EncodedEntries(int capacity) : IReadOnlyList<CacheKey>, IDisposable
{
    private readonly Entry[] _entries = new Entry[capacity];

    public int Count { get; private set; }

    public CacheKey this[int index] => _entries[index].Key;

    public PooledBufferWriter BufferAt(int index) => _entries[index].Buffer;

    public CacheStoreEntryOptions OptionsAt(int index) => _entries[index].Options;

    /// <summary>Adds an entry; one without a buffer (not to be stored: expired or too large, already logged) is skipped.</summary>
    public void Add(CacheKey key, in EncodedEntry encoded)
    {
        if (encoded.Buffer is { } buffer)
        {
            _entries[Count++] = new Entry(key, buffer, encoded.StoreOptions);
        }
    }

    /// <summary>Whether <paramref name="key"/> is among the entries.</summary>
    public bool Holds(CacheKey key)
    {
        for (var i = 0; i < Count; i++)
        {
            if (string.Equals(_entries[i].Key.StoreKey, key.StoreKey, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public CacheStoreEntry[] ToStoreEntries()
    {
        var entries = new CacheStoreEntry[Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new CacheStoreEntry(_entries[i].Key.StoreKey, _entries[i].Buffer.WrittenMemory, _entries[i].Options);
        }

        return entries;
    }

    public IEnumerator<CacheKey> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return _entries[i].Key;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        for (var i = 0; i < Count; i++)
        {
            _entries[i].Buffer.Dispose();
        }
    }

    private readonly record struct Entry(CacheKey Key, PooledBufferWriter Buffer, CacheStoreEntryOptions Options);
}
