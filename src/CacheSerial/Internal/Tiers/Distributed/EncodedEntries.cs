namespace CacheSerial.Internal;

/// <summary>Encoded entries of one bulk write, owning their pooled buffers until disposed.</summary>
internal sealed class EncodedEntries(int capacity) : IDisposable
{
    public List<CacheKey> Keys { get; } = new(capacity);

    public List<PooledBufferWriter> Buffers { get; } = new(capacity);

    public List<CacheStoreEntryOptions> Options { get; } = new(capacity);

    public int Count => Keys.Count;

    /// <summary>Adds an entry; a null buffer (not to be stored: expired or too large, already logged) is skipped.</summary>
    public void Add(CacheKey key, PooledBufferWriter? buffer, CacheStoreEntryOptions options)
    {
        if (buffer is null)
        {
            return;
        }

        Keys.Add(key);
        Buffers.Add(buffer);
        Options.Add(options);
    }

    public CacheStoreEntry[] ToStoreEntries()
    {
        var entries = new CacheStoreEntry[Keys.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new CacheStoreEntry(Keys[i].StoreKey, Buffers[i].WrittenMemory, Options[i]);
        }

        return entries;
    }

    public void Dispose()
    {
        foreach (var buffer in Buffers)
        {
            buffer.Dispose();
        }
    }
}
