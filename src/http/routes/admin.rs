//! `GET /admin/backup` (admin): a consistent backup, streamed.

use std::io::Read;

use actix_web::{HttpResponse, web};

use crate::http::extract::Auth;
use crate::http::{ApiError, AppState};
use crate::ids::new_id;

/// Chunks of the backup file on their way to the client.
const CHUNK: usize = 64 * 1024;

pub async fn backup(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    if !auth.is_admin() {
        return Err(ApiError::forbidden("only an admin may take a backup"));
    }
    let path = state.backup_dir.join(format!(".backup-{}.tmp", new_id()));
    let records = match state.engine.backup(path.clone()).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Err(e.into());
        }
    };
    tracing::info!(records, "backup taken");
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let sent = std::fs::File::open(&path).and_then(|mut file| {
            let mut buf = vec![0; CHUNK];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0
                    || tx
                        .blocking_send(Ok(web::Bytes::copy_from_slice(&buf[..n])))
                        .is_err()
                {
                    return Ok(());
                }
            }
        });
        if let Err(e) = sent {
            let _ = tx.blocking_send(Err(e));
        }
        let _ = std::fs::remove_file(&path);
    });
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"booking-engine.backup\"",
        ))
        .insert_header(("X-Backup-Records", records.to_string()))
        .streaming(body))
}
