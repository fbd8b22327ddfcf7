namespace CacheSerial.Internal;

/// <summary>Codec choices of one named cache, filled by the builder through named options.</summary>
internal sealed class CodecOptions
{
    public ICacheCodec? DefaultCodec { get; set; }

    public Dictionary<Type, ICacheCodec> PerType { get; } = [];
}
