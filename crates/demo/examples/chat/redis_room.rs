//! The room over Redis, for several chat processes: the entries are a
//! Redis Stream, so their ids are global and ordered and any process can
//! resume any client.
//!
//! - Adding is one Lua script: count the join or leave (`INCRBY` on the
//!   online counter) and `XADD` the entry with it, `MAXLEN ~` bounding
//!   the stream, atomically, so the counts follow the order of entries.
//!   A process that crashes leaves its people counted: the counter is a
//!   demo's, not a presence system.
//! - A reader task per process `XREAD BLOCK`s on the stream and hands each
//!   entry to the local `broadcast` channel, in stream order. Entries
//!   reach local subscribers only through it, so only once they are in
//!   the stream (the [room's promise](crate::room)).
//! - The history is `XRANGE` with an exclusive start, read in one
//!   `MULTI` with the stream's last id.

use crate::ids::ChatId;
use crate::room::{now_ms, Entry, Error, Kind, NewEntry, HISTORY};
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::streams::{StreamId, StreamRangeReply, StreamReadOptions, StreamReadReply};
use redis::AsyncConnectionConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

/// Adds one entry: KEYS = stream, online counter; ARGV = change of the
/// count, MAXLEN, kind, name, text, time. Returns the id and the count.
const ADD: &str = r"
local online = redis.call('INCRBY', KEYS[2], ARGV[1])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',
  'kind', ARGV[3], 'name', ARGV[4], 'text', ARGV[5], 'online', online, 'time', ARGV[6])
return {id, online}
";

/// How long one `XREAD` waits before asking again.
const BLOCK: Duration = Duration::from_secs(5);

/// A process's handle on the shared room.
#[derive(Clone)]
pub struct RedisRoom {
    /// Reconnects by itself: a command fails while Redis is away, the
    /// next one works once it is back.
    commands: ConnectionManager,
    live: broadcast::Sender<Arc<Entry>>,
    keys: Arc<Keys>,
    /// Stops the reader when the last handle goes.
    _reader: Arc<Reader>,
}

struct Keys {
    stream: String,
    online: String,
}

struct Reader(AbortHandle);

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl RedisRoom {
    /// Joins the room kept under `prefix` (`PREFIX:stream`,
    /// `PREFIX:online`) on the Redis at `url`.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisRoom, Error> {
        let client = redis::Client::open(url)?;
        let mut commands = client.get_connection_manager().await?;
        let keys = Arc::new(Keys {
            stream: format!("{prefix}:stream"),
            online: format!("{prefix}:online"),
        });
        // A blocked XREAD holds its connection: a second one, with no
        // response timeout shorter than the block.
        let config = AsyncConnectionConfig::new().set_response_timeout(Some(BLOCK * 2));
        let reading = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        let start = last_id(&mut commands, &keys.stream).await?;
        let live = broadcast::channel(256).0;
        let reconnect = move || {
            let (client, config) = (client.clone(), config.clone());
            async move {
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
            }
        };
        let reader = tokio::spawn(read(
            reading,
            reconnect,
            Arc::clone(&keys),
            start,
            live.clone(),
        ));
        Ok(RedisRoom {
            commands,
            live,
            keys,
            _reader: Arc::new(Reader(reader.abort_handle())),
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Entry>> {
        self.live.subscribe()
    }

    pub async fn since(&self, after: Option<ChatId>) -> Result<(Vec<Entry>, ChatId), Error> {
        let mut connection = self.commands.clone();
        let Some(after) = after else {
            return Ok((
                Vec::new(),
                last_id(&mut connection, &self.keys.stream).await?,
            ));
        };
        let (range, last): (StreamRangeReply, StreamRangeReply) = redis::pipe()
            .atomic()
            .cmd("XRANGE")
            .arg(&self.keys.stream)
            .arg(format!("({}-{}", after.ms, after.seq))
            .arg("+")
            .cmd("XREVRANGE")
            .arg(&self.keys.stream)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut connection)
            .await?;
        let entries = range.ids.iter().map(entry).collect::<Result<_, _>>()?;
        Ok((entries, first_id(&last)?))
    }

    pub async fn add(&self, new: NewEntry) -> Result<Entry, Error> {
        let change = match new.kind {
            Kind::Join => 1,
            Kind::Leave => -1,
            Kind::Chat => 0,
        };
        let time = now_ms();
        let mut add = redis::cmd("EVAL");
        add.arg(ADD)
            .arg(2)
            .arg(&self.keys.stream)
            .arg(&self.keys.online)
            .arg(change)
            .arg(HISTORY)
            .arg(new.kind.as_str())
            .arg(&new.name)
            .arg(&new.text)
            .arg(time);
        let mut connection = self.commands.clone();
        let (id, online): (String, i64) = match add.query_async(&mut connection).await {
            // The first command after Redis went away fails while the
            // manager reconnects; it was not run: once more.
            Err(error) if error.is_connection_dropped() => add.query_async(&mut connection).await?,
            done => done?,
        };
        Ok(Entry {
            kind: new.kind,
            id: id.parse().map_err(|_| format!("bad stream id {id:?}"))?,
            name: new.name,
            text: new.text,
            online,
            time,
        })
    }
}

/// The stream's last id, or [`ChatId::START`] while it is empty.
async fn last_id(connection: &mut ConnectionManager, stream: &str) -> Result<ChatId, Error> {
    let last: StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(connection)
        .await?;
    first_id(&last)
}

fn first_id(reply: &StreamRangeReply) -> Result<ChatId, Error> {
    match reply.ids.first() {
        Some(last) => Ok(entry(last)?.id),
        None => Ok(ChatId::START),
    }
}

/// The reader task: every entry after `after`, in order, to `live`. On a
/// Redis error it waits a second, connects again and asks from where it
/// was, so entries added meanwhile still come, in order.
async fn read<F, C>(
    mut connection: MultiplexedConnection,
    reconnect: F,
    keys: Arc<Keys>,
    mut after: ChatId,
    live: broadcast::Sender<Arc<Entry>>,
) where
    F: Fn() -> C,
    C: std::future::Future<Output = redis::RedisResult<MultiplexedConnection>>,
{
    let options = StreamReadOptions::default()
        .block(BLOCK.as_millis() as usize)
        .count(100);
    loop {
        let from = format!("{}-{}", after.ms, after.seq);
        let reply: Result<Option<StreamReadReply>, _> = redis::AsyncCommands::xread_options(
            &mut connection,
            &[&keys.stream],
            &[&from],
            &options,
        )
        .await;
        let reply = match reply {
            Ok(reply) => reply,
            Err(error) => {
                eprintln!("chat: reading the Redis stream: {error}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                match reconnect().await {
                    Ok(again) => connection = again,
                    Err(error) => eprintln!("chat: connecting to Redis again: {error}"),
                }
                continue;
            }
        };
        for id in reply
            .iter()
            .flat_map(|reply| &reply.keys)
            .flat_map(|key| &key.ids)
        {
            match entry(id) {
                Ok(entry) => {
                    after = entry.id;
                    // Nobody listening is fine.
                    let _ = live.send(Arc::new(entry));
                }
                Err(error) => eprintln!("chat: skipping stream entry {}: {error}", id.id),
            }
        }
    }
}

/// A stream entry as the room's.
fn entry(id: &StreamId) -> Result<Entry, Error> {
    let field = |name: &str| -> Result<String, Error> {
        id.get(name)
            .ok_or_else(|| format!("entry {} has no {name}", id.id).into())
    };
    let number = |name: &str| -> Result<i64, Error> {
        field(name)?
            .parse()
            .map_err(|_| format!("entry {}: {name} is not a number", id.id).into())
    };
    Ok(Entry {
        kind: Kind::parse(&field("kind")?).ok_or("unknown kind")?,
        id: id
            .id
            .parse()
            .map_err(|_| format!("bad stream id {:?}", id.id))?,
        name: field("name")?,
        text: field("text")?,
        online: number("online")?,
        time: number("time")?.max(0) as u64,
    })
}
