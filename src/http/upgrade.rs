//! Requests that ask to switch protocols, and the WebSocket taken out of
//! the HTTP/1 dispatcher.
//!
//! actix-http hands every such request to this service together with the
//! connection itself. The request goes through the application like any
//! other (routing, limits, the connection cap, metrics, the error table);
//! the WebSocket route answers 101 and leaves a `ws::Accepted` in the
//! response's extensions. This service writes the answer, and after a 101
//! with an `Accepted` starts the session on the bare socket, so the
//! dispatcher ends here with its two 8 KiB buffers. Any other answer is
//! written and the connection closed: the client asked to leave HTTP.

use std::rc::Rc;

use actix_codec::Framed;
use actix_http::body::{BodySize, MessageBody};
use actix_http::{Request, Response, StatusCode, h1};
use actix_service::{
    IntoServiceFactory, Service, ServiceFactory, ServiceFactoryExt, fn_service, map_config,
};
use actix_web::App;
use actix_web::dev::{AppConfig, ServiceRequest, ServiceResponse};
use actix_web::rt::net::TcpStream;
use futures::SinkExt;

use crate::http::ws;

type Upgrade = (Request, Framed<TcpStream, h1::Codec>);

/// The upgrade service of one worker, over its own instance of the app.
pub async fn service<T, B>(
    app: App<T>,
) -> Result<impl Service<Upgrade, Response = (), Error = actix_web::Error>, ()>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let app = map_config(app.into_factory(), |_| AppConfig::default())
        .map_err(|e| e.error_response())
        .new_service(())
        .await
        .map_err(|_| ())?;
    let app = Rc::new(app);
    Ok(fn_service(move |(req, framed): Upgrade| {
        answer(app.clone(), req, framed)
    }))
}

/// Sends the request through the app, writes its answer, and starts the
/// WebSocket when the answer is the route's 101.
async fn answer<S, B>(
    app: Rc<S>,
    req: Request,
    mut framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), actix_web::Error>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::HttpResponse>,
    B: MessageBody + 'static,
{
    let mut response: Response<_> = match app.call(req).await {
        Ok(res) => Response::from(res).map_into_boxed_body(),
        Err(refused) => Response::from(refused),
    };
    let accepted = response.extensions_mut().remove::<ws::Accepted>();
    let (head, body) = response.into_parts();
    let size = body.size();
    let switching = head.status() == StatusCode::SWITCHING_PROTOCOLS;
    framed.send(h1::Message::Item((head, size))).await?;
    if !matches!(size, BodySize::None | BodySize::Sized(0)) {
        let bytes = actix_web::body::to_bytes(body)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        framed.send(h1::Message::Chunk(Some(bytes))).await?;
        framed.send(h1::Message::Chunk(None)).await?;
    }
    if let (true, Some(accepted)) = (switching, accepted) {
        let parts = framed.into_parts();
        actix_web::rt::spawn(accepted.start(parts.io, parts.read_buf));
    }
    Ok(())
}
