using System.Collections.Frozen;
using System.Text;

namespace CacheSerial.Internal;

/// <summary>A codec with its validated name bytes, as written into envelopes.</summary>
internal sealed class CodecInfo
{
    public const int MaxNameLength = 64;

    public CodecInfo(ICacheCodec codec)
    {
        Codec = codec;
        NameBytes = Encoding.ASCII.GetBytes(ValidateName(codec));
    }

    public ICacheCodec Codec { get; }

    public byte[] NameBytes { get; }

    public string Name => Codec.Name;

    public static string ValidateName(ICacheCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        var name = codec.Name;
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !name.All(c => c is > ' ' and < (char)127))
        {
            throw new ArgumentException(
                $"Codec {codec.GetType().FullName} has name '{name}': a codec name must be 1 to {MaxNameLength} printable ASCII characters without spaces.",
                nameof(codec));
        }

        return name;
    }
}

/// <summary>Codec choices of one named cache, filled by the builder through named options.</summary>
internal sealed class CodecOptions
{
    public ICacheCodec? DefaultCodec { get; set; }

    public Dictionary<Type, ICacheCodec> PerType { get; } = [];
}

/// <summary>Resolves the codec for a type: a per-type override, else the cache's default codec.</summary>
internal sealed class CodecRegistry
{
    private readonly FrozenDictionary<Type, CodecInfo> _perType;

    public CodecRegistry(CodecOptions options)
    {
        Default = new CodecInfo(options.DefaultCodec ?? SystemTextJsonCodec.Default);
        _perType = options.PerType.ToFrozenDictionary(p => p.Key, p => new CodecInfo(p.Value));
    }

    public CodecInfo Default { get; }

    /// <summary>The default codec and every per-type override.</summary>
    public IEnumerable<CodecInfo> All => _perType.Values.Prepend(Default);

    public CodecInfo For<T>() =>
        _perType.Count != 0 && _perType.TryGetValue(typeof(T), out var info) ? info : Default;

    /// <summary>The same choice as <see cref="For{T}"/>, for a type known at run time (startup checks).</summary>
    public CodecInfo For(Type type) =>
        _perType.TryGetValue(type, out var info) ? info : Default;
}
