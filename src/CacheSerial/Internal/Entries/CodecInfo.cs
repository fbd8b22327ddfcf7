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
