using System.Buffers.Binary;
using System.Text;

namespace CacheSerial.Internal;

/// <summary>What a backplane message says (<see cref="InvalidationMessage"/>).</summary>
internal enum InvalidationKind : byte
{
    /// <summary>These keys changed; consumes a sequence number.</summary>
    Keys = 1,

    /// <summary>Every key may have changed (the sender lost track of its own changes); consumes a sequence number.</summary>
    All = 2,

    /// <summary>No change: the sender's last sequence number, so a receiver sees a loss even when nothing follows it;
    /// its own ping coming back proves to the sender that delivery works.</summary>
    Ping = 3,
}

/// <summary>
/// The backplane's message, little-endian: magic <c>CSI</c>, version 1, kind, sender id (16 bytes), sequence (8),
/// sent-at unix ms (8), then for <see cref="InvalidationKind.Keys"/> a count (4) and each key as a length (4) and
/// UTF-8 bytes. The format is the cache's, not the transport's (docs/coherence.md).
/// </summary>
internal readonly struct InvalidationMessage
{
    public const int HeaderLength = 37;

    private const byte Version = 1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public InvalidationMessage(InvalidationKind kind, Guid sender, long sequence, long sentAtMs, string[]? keys)
    {
        Kind = kind;
        Sender = sender;
        Sequence = sequence;
        SentAtMs = sentAtMs;
        Keys = keys ?? [];
    }

    public InvalidationKind Kind { get; }

    public Guid Sender { get; }

    public long Sequence { get; }

    public long SentAtMs { get; }

    public string[] Keys { get; }

    /// <summary>The size of a keys message: header, count, and each key's length and bytes.</summary>
    public static int SizeOf(string key) => 4 + Encoding.UTF8.GetByteCount(key);

    public static byte[] Encode(InvalidationKind kind, Guid sender, long sequence, long sentAtMs, IReadOnlyList<string>? keys, int keysSize)
    {
        var message = new byte[HeaderLength + (kind == InvalidationKind.Keys ? 4 + keysSize : 0)];
        var span = message.AsSpan();
        "CSI"u8.CopyTo(span);
        span[3] = Version;
        span[4] = (byte)kind;
        sender.TryWriteBytes(span.Slice(5, 16));
        BinaryPrimitives.WriteInt64LittleEndian(span.Slice(21), sequence);
        BinaryPrimitives.WriteInt64LittleEndian(span.Slice(29), sentAtMs);
        if (kind == InvalidationKind.Keys)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(HeaderLength), keys!.Count);
            var at = HeaderLength + 4;
            foreach (var key in keys)
            {
                var length = Encoding.UTF8.GetBytes(key, span.Slice(at + 4));
                BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at), length);
                at += 4 + length;
            }
        }

        return message;
    }

    /// <summary>Reads a message; false for anything malformed (never throws: the bytes come from the network).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out InvalidationMessage message)
    {
        message = default;
        if (data.Length < HeaderLength || !data.StartsWith("CSI"u8) || data[3] != Version)
        {
            return false;
        }

        var kind = (InvalidationKind)data[4];
        var sender = new Guid(data.Slice(5, 16));
        var sequence = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(21));
        var sentAt = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(29));
        if (kind is InvalidationKind.All or InvalidationKind.Ping)
        {
            message = new InvalidationMessage(kind, sender, sequence, sentAt, null);
            return data.Length == HeaderLength;
        }

        if (kind != InvalidationKind.Keys || data.Length < HeaderLength + 4)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(HeaderLength));
        var rest = data.Slice(HeaderLength + 4);
        if (count < 0 || count > rest.Length / 4)
        {
            return false;
        }

        var keys = new string[count];
        for (var i = 0; i < count; i++)
        {
            if (rest.Length < 4)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(rest);
            if (length <= 0 || length > rest.Length - 4)
            {
                return false;
            }

            try
            {
                keys[i] = StrictUtf8.GetString(rest.Slice(4, length));
            }
            catch (ArgumentException)
            {
                return false;
            }

            rest = rest.Slice(4 + length);
        }

        message = new InvalidationMessage(kind, sender, sequence, sentAt, keys);
        return rest.IsEmpty;
    }
}
