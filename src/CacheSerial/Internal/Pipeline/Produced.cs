namespace CacheSerial.Internal;

/// <summary>What a factory returned: one key's value, or a batch factory's values by key (keys it left out are absent).</summary>
internal readonly struct Produced<T>
{
    private readonly T _single;
    private readonly IReadOnlyDictionary<string, T>? _many;

    public Produced(T single) => _single = single;

    public Produced(IReadOnlyDictionary<string, T> many)
    {
        _single = default!;
        _many = many;
    }

    public bool TryGet(CacheKey key, out T value)
    {
        if (_many is null)
        {
            value = _single;
            return true;
        }

        return _many.TryGetValue(key.Key, out value!);
    }
}
