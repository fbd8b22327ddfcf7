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

    /// <summary>These tags were removed, each at its time; consumes a sequence number.</summary>
    Tags = 4,

    /// <summary>The cache was cleared at the given time; consumes a sequence number.</summary>
    Clear = 5,
}

/// <summary>
/// The backplane's message, little-endian: magic <c>CSI</c>, version 1, kind, sender id (16 bytes), sequence (8),
/// sent-at unix ms (8), then for <see cref="InvalidationKind.Keys"/> a count (4) and each key as a length (4) and
/// UTF-8 bytes; for <see cref="InvalidationKind.Tags"/> a count (4) and each tag as its removal time (8), a length (4)
/// and UTF-8 bytes; for <see cref="InvalidationKind.Clear"/> the clear time (8). The format is the cache's, not the
/// transport's (docs/coherence.md).
/// </summary>
internal readonly struct InvalidationMessage
{
    public const int HeaderLength = 37;

    private const byte Version = 1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public InvalidationMessage(InvalidationKind kind, Guid sender, long sequence, long sentAtMs, string[]? keys, long[]? times = null)
    {
        Kind = kind;
        Sender = sender;
        Sequence = sequence;
        SentAtMs = sentAtMs;
        Keys = keys ?? [];
        Times = times ?? [];
    }

    public InvalidationKind Kind { get; }

    public Guid Sender { get; }

    public long Sequence { get; }

    public long SentAtMs { get; }

    /// <summary>The keys (<see cref="InvalidationKind.Keys"/>) or tags (<see cref="InvalidationKind.Tags"/>).</summary>
    public string[] Keys { get; }

    /// <summary>Each tag's removal time (<see cref="InvalidationKind.Tags"/>), or the one clear time (<see cref="InvalidationKind.Clear"/>).</summary>
    public long[] Times { get; }

    /// <summary>The size of a keys message: header, count, and each key's length and bytes.</summary>
    public static int SizeOf(string key) => 4 + Encoding.UTF8.GetByteCount(key);

    public static byte[] Encode(InvalidationKind kind, Guid sender, long sequence, long sentAtMs, IReadOnlyList<string>? keys, int keysSize)
    {
        var message = new byte[HeaderLength + (kind == InvalidationKind.Keys ? 4 + keysSize : 0)];
        var span = message.AsSpan();
        WriteHeader(span, kind, sender, sequence, sentAtMs);
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

    public static byte[] EncodeTags(Guid sender, long sequence, long sentAtMs, IReadOnlyList<string> tags, IReadOnlyList<long> times)
    {
        var size = HeaderLength + 4;
        foreach (var tag in tags)
        {
            size += 12 + Encoding.UTF8.GetByteCount(tag);
        }

        var message = new byte[size];
        WriteHeader(message, InvalidationKind.Tags, sender, sequence, sentAtMs);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(HeaderLength), tags.Count);
        var at = HeaderLength + 4;
        for (var i = 0; i < tags.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(message.AsSpan(at), times[i]);
            var length = Encoding.UTF8.GetBytes(tags[i], message.AsSpan(at + 12));
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(at + 8), length);
            at += 12 + length;
        }

        return message;
    }

    public static byte[] EncodeClear(Guid sender, long sequence, long sentAtMs, long clearedAtMs)
    {
        var message = new byte[HeaderLength + 8];
        WriteHeader(message, InvalidationKind.Clear, sender, sequence, sentAtMs);
        BinaryPrimitives.WriteInt64LittleEndian(message.AsSpan(HeaderLength), clearedAtMs);
        return message;
    }

    private static void WriteHeader(Span<byte> span, InvalidationKind kind, Guid sender, long sequence, long sentAtMs)
    {
        "CSI"u8.CopyTo(span);
        span[3] = Version;
        span[4] = (byte)kind;
        sender.TryWriteBytes(span.Slice(5, 16));
        BinaryPrimitives.WriteInt64LittleEndian(span.Slice(21), sequence);
        BinaryPrimitives.WriteInt64LittleEndian(span.Slice(29), sentAtMs);
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

        if (kind == InvalidationKind.Clear)
        {
            if (data.Length != HeaderLength + 8)
            {
                return false;
            }

            message = new InvalidationMessage(kind, sender, sequence, sentAt, null, [BinaryPrimitives.ReadInt64LittleEndian(data.Slice(HeaderLength))]);
            return true;
        }

        if (kind is not (InvalidationKind.Keys or InvalidationKind.Tags) || data.Length < HeaderLength + 4)
        {
            return false;
        }

        var timed = kind == InvalidationKind.Tags;

        var count = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(HeaderLength));
        var rest = data.Slice(HeaderLength + 4);
        if (count < 0 || count > rest.Length / (timed ? 12 : 4))
        {
            return false;
        }

        var keys = new string[count];
        var times = timed ? new long[count] : null;
        for (var i = 0; i < count; i++)
        {
            if (timed)
            {
                if (rest.Length < 8)
                {
                    return false;
                }

                times![i] = BinaryPrimitives.ReadInt64LittleEndian(rest);
                rest = rest.Slice(8);
            }

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

        message = new InvalidationMessage(kind, sender, sequence, sentAt, keys, times);
        return rest.IsEmpty;
    }
}
