using System.Collections.Frozen;

namespace CacheSerial.Internal;

/// <summary>Resolves the codec for a type: a per-type override, else the cache's default codec.</summary>
internal sealed class CodecRegistry
{
    private readonly FrozenDictionary<Type, CodecInfo> _perType;
    private readonly bool _hasPerType; // a field, not the dictionary's virtual Count: read on every call

    public CodecRegistry(CodecOptions options)
    {
        Default = new CodecInfo(options.DefaultCodec ?? SystemTextJsonCodec.Default);
        _perType = options.PerType.ToFrozenDictionary(p => p.Key, p => new CodecInfo(p.Value));
        _hasPerType = _perType.Count != 0;
    }

    public CodecInfo Default { get; }

    /// <summary>The default codec and every per-type override.</summary>
    public IEnumerable<CodecInfo> All => _perType.Values.Prepend(Default);

    public CodecInfo For<T>() =>
        _hasPerType && _perType.TryGetValue(typeof(T), out var info) ? info : Default;

    /// <summary>The same choice as <see cref="For{T}"/>, for a type known at run time (startup checks).</summary>
    public CodecInfo For(Type type) =>
        _perType.TryGetValue(type, out var info) ? info : Default;
}
